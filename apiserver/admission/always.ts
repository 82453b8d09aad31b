// AlwaysAdmit and AlwaysDeny: the trivial plugins kube-apiserver keeps for testing.
import { forbidden, type AdmissionPlugin } from './interface.js';

export const alwaysAdmit = (): AdmissionPlugin => ({ name: 'AlwaysAdmit' });

export const alwaysDeny = (): AdmissionPlugin => ({
  name: 'AlwaysDeny',
  admit(a) {
    throw forbidden(a, 'admission control is denying all modifications');
  },
});
