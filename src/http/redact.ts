/**
 * Credential redaction for everything the HTTP core puts into errors or logs: user-info in URLs,
 * secret-looking query parameters and headers, and the exact secret strings the client was given
 * (passwords, tokens, client secrets) wherever they appear in server text.
 */

const SECRET_NAME = /(pass(word|wd)?|secret|token|credential|signature|api[-_]?key|access[-_]?key|auth)/i;
export const REDACTED = '***';

/** Redacts user-info and secret-looking query parameters; returns `path?query` when `pathOnly`. */
export function redactUrl(url: string | URL, pathOnly = false): string {
  let u: URL;
  try {
    u = new URL(String(url));
  } catch {
    return String(url).replace(/\/\/[^/@\s]*@/, `//${REDACTED}@`);
  }
  if (u.username) u.username = REDACTED;
  if (u.password) u.password = REDACTED;
  for (const key of [...u.searchParams.keys()]) {
    if (SECRET_NAME.test(key)) u.searchParams.set(key, REDACTED);
  }
  if (pathOnly) return decodeURIComponent(u.pathname) + (u.search ? u.search.replaceAll('%2A', '*') : '');
  return u.toString().replaceAll('%2A', '*');
}

/** Headers safe to log: values of authorization/cookie/secret-looking headers replaced. */
export function redactHeaders(headers: Headers | Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  for (const [k, v] of entries) {
    out[k] =
      /^(authorization|cookie|set-cookie|proxy-authorization)$/i.test(k) || SECRET_NAME.test(k)
        ? REDACTED
        : v;
  }
  return out;
}

/** Replaces every occurrence of each known secret (strings of 4+ characters) in `text`. */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) {
    if (s && s.length >= 4) out = out.split(s).join(REDACTED);
  }
  return out;
}

/** Deep-copies a JSON value with every string scrubbed of the known secrets. */
export function scrubValue<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  if (typeof value === 'string') return scrubSecrets(value, secrets) as T;
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, secrets)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, secrets);
    return out as T;
  }
  return value;
}
