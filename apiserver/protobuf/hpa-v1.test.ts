// autoscaling/v1 HorizontalPodAutoscaler in protobuf: what `kubectl autoscale` (v1.32) sends.
import { describe, expect, it } from 'vitest';
import { decodeK8sProtobuf } from './decode.js';
import { encodeK8sProtobuf } from './encode.test-helper.js';

/** The body of `kubectl autoscale deployment web --cpu-percent=50 --min=1 --max=4`, captured with -v=8. */
const KUBECTL_AUTOSCALE =
  '6b387300 0a290a0e 6175746f 7363616c 696e672f 76311217 486f7269 7a6f6e74 616c506f 64417574 6f736361 6c657212 3f0a130a 03776562 12001a00 22002a00 32003800 42001222 0a1a0a0a 4465706c 6f796d65 6e741203 7765621a 07617070 732f7631 10011804 20321a04 18002000 1a002200';

describe('autoscaling/v1 HorizontalPodAutoscaler', () => {
  it('decodes what kubectl autoscale sends as a Go server would, zero replicas kept', () => {
    const decoded = decodeK8sProtobuf(Buffer.from(KUBECTL_AUTOSCALE.replace(/ /g, ''), 'hex'));
    expect(decoded.object).toEqual({
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'web', creationTimestamp: null },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' }, minReplicas: 1, maxReplicas: 4, targetCPUUtilizationPercentage: 50 },
      status: { currentReplicas: 0, desiredReplicas: 0 },
    });
  });

  it('round-trips every field, and keeps zero pointers', () => {
    const obj = {
      apiVersion: 'autoscaling/v1',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'h', namespace: 'ns' },
      spec: { scaleTargetRef: { kind: 'StatefulSet', name: 'db', apiVersion: 'apps/v1' }, minReplicas: 0, maxReplicas: 9, targetCPUUtilizationPercentage: 0 },
      status: { observedGeneration: 0, lastScaleTime: '2026-11-22T05:00:00Z', currentReplicas: 3, desiredReplicas: 5, currentCPUUtilizationPercentage: 0 },
    };
    expect(decodeK8sProtobuf(encodeK8sProtobuf(obj)).object).toEqual(obj);
  });
});
