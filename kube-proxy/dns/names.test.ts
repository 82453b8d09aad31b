// The name forms of the schema and the address forms CoreDNS uses.
import { describe, expect, it } from 'vitest';
import { addressFromReverse, canonicalIPv6, ipFromDashed, matchZone, parseRequest } from './names.js';

describe('parseRequest', () => {
  it('splits the schema\'s names, and refuses what is not one', () => {
    expect(parseRequest('_http._tcp.web.prod.svc')).toEqual({ port: 'http', protocol: 'tcp', endpoint: '', service: 'web', namespace: 'prod', podOrSvc: 'svc' });
    expect(parseRequest('db-0.db.prod.svc')).toMatchObject({ endpoint: 'db-0', service: 'db', namespace: 'prod' });
    expect(parseRequest('prod.svc')).toMatchObject({ service: '', namespace: 'prod', podOrSvc: 'svc' });
    expect(parseRequest('')).toMatchObject({ podOrSvc: '' });
    expect(parseRequest('10-0-0-1.prod.pod')).toMatchObject({ service: '10-0-0-1', podOrSvc: 'pod' });
    expect(parseRequest('web.prod.svc.cluster.local.prod')).toBeUndefined();
    expect(parseRequest('a.b.c.web.prod.svc')).toBeUndefined();
  });
});

describe('addresses', () => {
  it('reads dashed and reverse names, and writes IPv6 as RFC 5952', () => {
    expect(ipFromDashed('10-244-0-5')).toBe('10.244.0.5');
    expect(ipFromDashed('fd00--a')).toBe('fd00::a');
    expect(ipFromDashed('10-244-0')).toBeUndefined();
    expect(addressFromReverse('5.0.244.10.in-addr.arpa')).toBe('10.244.0.5');
    expect(addressFromReverse('0.244.10.in-addr.arpa')).toBeUndefined();
    expect(addressFromReverse('300.0.244.10.in-addr.arpa')).toBeUndefined();
    expect(addressFromReverse(`1.${'0.'.repeat(29)}d.f.ip6.arpa`)).toBe('fd00::1');
    expect(addressFromReverse(`1.${'0.'.repeat(28)}d.f.ip6.arpa`)).toBeUndefined();
    expect(canonicalIPv6('FD00:0:0:0:0:0:0:0001')).toBe('fd00::1');
    expect(canonicalIPv6('1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
    expect(canonicalIPv6('1:0:2:3:4:5:6:7')).toBe('1:0:2:3:4:5:6:7');
    expect(matchZone('x.in-addr.arpa', ['in-addr.arpa', 'ip6.arpa'])).toBe('in-addr.arpa');
    expect(matchZone('xin-addr.arpa', ['in-addr.arpa'])).toBeUndefined();
  });
});
