import { describe, expect, it } from 'vitest';
import { AlertmanagerError, formatMatcher, parseMatcher } from '../../src/alertmanager/index.js';

describe('matcher strings', () => {
  it('parses the four operators, quoted and unquoted values, and braces', () => {
    expect(parseMatcher('alertname="DiskFull"')).toEqual({
      name: 'alertname',
      value: 'DiskFull',
      isRegex: false,
      isEqual: true,
    });
    expect(parseMatcher('severity != warning')).toEqual({
      name: 'severity',
      value: 'warning',
      isRegex: false,
      isEqual: false,
    });
    expect(parseMatcher('job=~"api|db"')).toMatchObject({ value: 'api|db', isRegex: true, isEqual: true });
    expect(parseMatcher('{job!~"test.*"}')).toMatchObject({ name: 'job', isRegex: true, isEqual: false });
    expect(parseMatcher('"service.name"="a \\"b\\" \\\\ c"')).toEqual({
      name: 'service.name',
      value: 'a "b" \\ c',
      isRegex: false,
      isEqual: true,
    });
    expect(parseMatcher('empty=""')).toMatchObject({ value: '' });
  });

  it('formats so that parsing gives the same matcher back', () => {
    const samples = [
      { name: 'alertname', value: 'Disk "Full"', isRegex: false, isEqual: true },
      { name: 'path', value: 'C:\\temp\nnext', isRegex: false, isEqual: false },
      { name: 'severity', value: '(?i)crit.*', isRegex: true, isEqual: true },
      { name: 'k8s.namespace', value: 'prod', isRegex: true, isEqual: false },
    ];
    expect(samples.map(formatMatcher)).toEqual([
      'alertname="Disk \\"Full\\""',
      'path!="C:\\\\temp\\nnext"',
      'severity=~"(?i)crit.*"',
      '"k8s.namespace"!~"prod"',
    ]);
    for (const m of samples) expect(parseMatcher(formatMatcher(m))).toEqual(m);
  });

  it('rejects text that is not a matcher and regexes RE2 would refuse', () => {
    for (const bad of ['alertname', '=x', 'a=~"("', 'a=~"(?<=x)y"', 'a=~"(a)\\1"']) {
      const e = (() => {
        try {
          parseMatcher(bad);
        } catch (x) {
          return x;
        }
        return undefined;
      })();
      expect(e, bad).toBeInstanceOf(AlertmanagerError);
      expect((e as AlertmanagerError).kind).toBe('validation');
    }
  });

  it('accepts RE2 inline flags and named groups', () => {
    expect(parseMatcher('a=~"(?i)disk.*"').value).toBe('(?i)disk.*');
    expect(parseMatcher('a=~"(?P<x>\\\\d+)"').isRegex).toBe(true);
  });
});
