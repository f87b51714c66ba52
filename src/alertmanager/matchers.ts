/**
 * Label matchers as Alertmanager reads them: objects (`{ name, value, isRegex, isEqual }`, the JSON
 * form of silences) and strings (`severity=~"crit.*"`, the form of every `filter` query parameter).
 * This module converts between the two and checks a matcher before it is sent, so a bad regular
 * expression or an empty name fails locally with the offending field named instead of as a bare
 * HTTP 400.
 */
import { AlertmanagerError } from './errors.js';

/** A label matcher. `isRegex` defaults to false, `isEqual` to true (`=`); `isEqual: false` negates. */
export interface Matcher {
  name: string;
  value: string;
  isRegex?: boolean;
  isEqual?: boolean;
}

/** A matcher object, or its string form such as `alertname="DiskFull"` or `severity!~"info|debug"`. */
export type MatcherInput = Matcher | string;

/** The JSON form Alertmanager stores (both flags explicit). */
export interface WireMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual: boolean;
}

/** A problem found in some input, with the field path that names it. */
export interface InputProblem {
  field: string;
  problem: string;
}

const CLASSIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const QUOTED = String.raw`"(?:[^"\\]|\\.)*"`;
const UNQUOTED_NAME = String.raw`[^\s{}!=~,"'\\\x60]+`;
const MATCHER_TEXT = new RegExp(
  String.raw`^\s*\{?\s*(${QUOTED}|${UNQUOTED_NAME})\s*(=~|!~|!=|=)\s*(${QUOTED}|[^"]*?)\s*\}?\s*$`,
);

function unquote(text: string): string {
  if (!text.startsWith('"')) return text;
  // Unknown escapes are kept as written so that regex escapes such as `\d` survive.
  const escapes: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\' };
  return text.slice(1, -1).replace(/\\(.)/g, (m, c: string) => escapes[c] ?? m);
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Parses one matcher string; returns a problem description instead of throwing. */
export function parseMatcherText(text: string): Matcher | string {
  const m = MATCHER_TEXT.exec(text);
  if (!m)
    return `${JSON.stringify(text)} is not a matcher like name="value", name!="value", name=~"regex" or name!~"regex"`;
  const [, rawName = '', op = '=', rawValue = ''] = m;
  return {
    name: unquote(rawName),
    value: unquote(rawValue),
    isRegex: op.endsWith('~'),
    isEqual: op.startsWith('='),
  };
}

/** Parses a matcher string such as `severity=~"crit.*"`. Throws a validation `AlertmanagerError`. */
export function parseMatcher(text: string): WireMatcher {
  const parsed = parseMatcherText(text);
  if (typeof parsed === 'string') {
    throw new AlertmanagerError({
      message: `invalid matcher: ${parsed}`,
      kind: 'validation',
      field: 'matcher',
    });
  }
  const problem = matcherProblem(parsed, 'matcher');
  if (problem) {
    throw new AlertmanagerError({
      message: `invalid matcher: ${problem.problem}`,
      kind: 'validation',
      field: problem.field,
    });
  }
  return toWire(parsed);
}

/** The string form Alertmanager's `filter` parameters accept; names that are not classic are quoted. */
export function formatMatcher(m: Matcher): string {
  const op = `${m.isEqual === false ? '!' : '='}${m.isRegex ? '~' : m.isEqual === false ? '=' : ''}`;
  const name = CLASSIC_NAME.test(m.name) ? m.name : quote(m.name);
  return `${name}${op}${quote(m.value)}`;
}

export function toWire(m: Matcher): WireMatcher {
  return { name: m.name, value: m.value, isRegex: m.isRegex === true, isEqual: m.isEqual !== false };
}

/**
 * Compiles an RE2 pattern (the dialect Alertmanager uses) with JavaScript's engine as far as the two
 * agree: leading `(?flags)` and `(?P<name>` are translated; lookaround and backreferences, which
 * RE2 rejects, are rejected here too. Returns the anchored RegExp or a problem text.
 */
export function compileRe2(pattern: string): RegExp | string {
  if (/\(\?<?[=!]/.test(pattern)) return 'lookaround assertions are not supported by RE2';
  if (/\\[1-9]|\\k</.test(pattern)) return 'backreferences are not supported by RE2';
  let source = pattern.replace(/\(\?P</g, '(?<');
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(source);
  if (lead?.[1]) {
    flags = [...new Set(lead[1].replace('U', ''))].join('');
    source = source.slice(lead[0].length);
  }
  try {
    // Alertmanager anchors regex matchers at both ends.
    return new RegExp(`^(?:${source})$`, flags);
  } catch (e) {
    return (e as Error).message.replace(/^Invalid regular expression: /, '');
  }
}

/** What is wrong with one matcher object, if anything. */
export function matcherProblem(m: Matcher, field: string): InputProblem | undefined {
  if (!m || typeof m !== 'object') return { field, problem: `${field} must be an object or a string` };
  if (typeof m.name !== 'string' || m.name === '')
    return { field: `${field}.name`, problem: `${field}.name must be a non-empty string` };
  if (typeof m.value !== 'string')
    return { field: `${field}.value`, problem: `${field}.value must be a string` };
  if (m.isRegex) {
    const re = compileRe2(m.value);
    if (typeof re === 'string') {
      return {
        field: `${field}.value`,
        problem: `${field}.value ${JSON.stringify(m.value)} is not a valid regular expression: ${re}`,
      };
    }
  }
  return undefined;
}

/** Normalises a matcher input (object or string) at `field`, or reports what is wrong with it. */
export function checkMatcher(input: MatcherInput, field: string): WireMatcher | InputProblem {
  let m: Matcher;
  if (typeof input === 'string') {
    const parsed = parseMatcherText(input);
    if (typeof parsed === 'string') return { field, problem: `${field}: ${parsed}` };
    m = parsed;
  } else {
    m = input;
  }
  return matcherProblem(m, field) ?? toWire(m);
}

/** Whether a matcher matches a label that is absent (the empty string), as Alertmanager evaluates it. */
export function matchesEmpty(m: WireMatcher): boolean {
  let hit: boolean;
  if (m.isRegex) {
    const re = compileRe2(m.value);
    hit = typeof re === 'string' ? false : re.test('');
  } else {
    hit = m.value === '';
  }
  return m.isEqual ? hit : !hit;
}
