import { describe, expect, it } from 'vitest';
import {
  isConfigMapKey,
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isEnvVarName,
  isQualifiedName,
  isRelaxedEnvVarName,
  isValidCIDR,
  isValidIP,
  isValidIPv4,
  isValidLabelValue,
  isValidPathSegmentName,
  isValidPercent,
  isValidPortName,
  isValidPortNum,
  regexError,
} from './validation.js';

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QNAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('regexError', () => {
  it('words examples exactly as upstream, double space included', () => {
    expect(regexError('msg', 'fmt')).toBe("msg (regex used for validation is 'fmt')");
    expect(regexError('msg', 'fmt', 'a', 'b')).toBe("msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')");
  });
});

describe('isDNS1123Label', () => {
  it.each([
    ['a', []],
    ['my-name', []],
    ['123-abc', []],
    ['a'.repeat(63), []],
    ['', [LABEL_MSG]],
    ['My-Name', [LABEL_MSG]],
    ['-abc', [LABEL_MSG]],
    ['abc-', [LABEL_MSG]],
    ['a_b', [LABEL_MSG]],
    ['a.b', ['must not contain dots']],
    ['a'.repeat(64), ['must be no more than 63 characters']],
  ])('%j', (value, want) => {
    expect(isDNS1123Label(value)).toEqual(want);
  });
});

describe('isDNS1123Subdomain', () => {
  it.each([
    ['example.com', []],
    ['a', []],
    ['a-b.c-d', []],
    ['Example.com', [SUBDOMAIN_MSG]],
    ['a..b', [SUBDOMAIN_MSG]],
    ['.a', [SUBDOMAIN_MSG]],
    ['', [SUBDOMAIN_MSG]],
    [`${'a'.repeat(250)}.com`, ['must be no more than 253 characters']],
  ])('%j', (value, want) => {
    expect(isDNS1123Subdomain(value)).toEqual(want);
  });
});

describe('isDNS1035Label', () => {
  it.each([
    ['my-name', []],
    ['abc-123', []],
    ['123-abc', [DNS1035_MSG]],
    ['a.b', [DNS1035_MSG]],
    ['a'.repeat(64), ['must be no more than 63 characters']],
  ])('%j', (value, want) => {
    expect(isDNS1035Label(value)).toEqual(want);
  });
});

describe('isQualifiedName', () => {
  it.each([
    ['app', []],
    ['MyName', []],
    ['my.name', []],
    ['123-abc', []],
    ['example.com/MyName', []],
    ['app.kubernetes.io/name', []],
    ['-app', [`name part ${QNAME_MSG}`]],
    ['', ['name part must be non-empty', `name part ${QNAME_MSG}`]],
    ['/name', ['prefix part must be non-empty']],
    ['example.com/', ['name part must be non-empty', `name part ${QNAME_MSG}`]],
    ['Example.com/name', [`prefix part ${SUBDOMAIN_MSG}`]],
    ['a'.repeat(64), ['name part must be no more than 63 characters']],
    [
      'a/b/c',
      [
        `a qualified name ${QNAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      ],
    ],
  ])('%j', (value, want) => {
    expect(isQualifiedName(value)).toEqual(want);
  });
});

describe('isValidLabelValue', () => {
  it.each([
    ['', []],
    ['v1', []],
    ['my_value', []],
    ['12345', []],
    ['-x', [LABEL_VALUE_MSG]],
    ['a b', [LABEL_VALUE_MSG]],
    ['a/b', [LABEL_VALUE_MSG]],
    ['a'.repeat(64), ['must be no more than 63 characters']],
  ])('%j', (value, want) => {
    expect(isValidLabelValue(value)).toEqual(want);
  });
});

describe('ports', () => {
  it.each([
    [1, []],
    [65535, []],
    [0, ['must be between 1 and 65535, inclusive']],
    [65536, ['must be between 1 and 65535, inclusive']],
    [-1, ['must be between 1 and 65535, inclusive']],
    [1.5, ['must be between 1 and 65535, inclusive']],
  ])('isValidPortNum(%d)', (port, want) => {
    expect(isValidPortNum(port)).toEqual(want);
  });

  it.each([
    ['http', []],
    ['web-8080', []],
    ['a'.repeat(16), ['must be no more than 15 characters']],
    ['HTTP', ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)']],
    ['8080', ['must contain at least one letter (a-z)']],
    ['a--b', ['must not contain consecutive hyphens']],
    ['-ab', ['must not begin or end with a hyphen']],
  ])('isValidPortName(%j)', (name, want) => {
    expect(isValidPortName(name)).toEqual(want);
  });
});

describe('addresses', () => {
  it.each([
    ['10.0.0.1', []],
    ['255.255.255.255', []],
    ['010.1.1.1', []],
    ['256.1.1.1', ['must be a valid IPv4 address']],
    ['1.2.3', ['must be a valid IPv4 address']],
    ['::1', ['must be a valid IPv4 address']],
    ['', ['must be a valid IPv4 address']],
  ])('isValidIPv4(%j)', (ip, want) => {
    expect(isValidIPv4(ip)).toEqual(want);
  });

  const ipMsg = ['must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'];
  it.each([
    ['10.9.8.7', []],
    ['2001:db8::ffff', []],
    ['::', []],
    ['::ffff:1.2.3.4', []],
    ['1:2:3:4:5:6:7:8', []],
    ['1::2::3', ipMsg],
    ['1:2:3:4:5:6:7:8:9', ipMsg],
    ['host', ipMsg],
  ])('isValidIP(%j)', (ip, want) => {
    expect(isValidIP(ip)).toEqual(want);
  });

  it.each([
    ['10.244.0.0/16', true],
    ['2001:db8::/64', true],
    ['10.0.0.0/33', false],
    ['10.0.0.0', false],
    ['x/8', false],
  ])('isValidCIDR(%j) valid=%s', (cidr, ok) => {
    expect(isValidCIDR(cidr).length === 0).toBe(ok);
  });
});

describe('other keys and names', () => {
  it.each([
    ['key.name', []],
    ['KEY_NAME', []],
    ['key-name', []],
    ['.', ["must not be '.'"]],
    ['..', ["must not be '..'"]],
    ['..a', ["must not start with '..'"]],
    [
      'a/b',
      [
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      ],
    ],
  ])('isConfigMapKey(%j)', (key, want) => {
    expect(isConfigMapKey(key)).toEqual(want);
  });

  it('checks env var names strictly and relaxed', () => {
    expect(isEnvVarName('MY_VAR')).toEqual([]);
    expect(isEnvVarName('1VAR')).toHaveLength(1);
    expect(isRelaxedEnvVarName('1VAR')).toEqual([]);
    expect(isRelaxedEnvVarName('A=B')).toEqual(["a valid environment variable name must consist only of printable ASCII characters other than '='"]);
    expect(isRelaxedEnvVarName('')).toEqual(['environment variable name must be non-empty']);
    expect(isRelaxedEnvVarName('é')).toHaveLength(1);
  });

  it('checks percents and path segment names', () => {
    expect(isValidPercent('25%')).toEqual([]);
    expect(isValidPercent('25')).toEqual([
      "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
    ]);
    expect(isValidPathSegmentName('system:node')).toEqual([]);
    expect(isValidPathSegmentName('..')).toEqual(["may not be '..'"]);
    expect(isValidPathSegmentName('a/b%')).toEqual(["may not contain '/'", "may not contain '%'"]);
  });
});
