// Headers a hostile or broken client sends: odd content types, bad read positions, Idempotency-Keys with odd
// bytes, forged or foreign credentials, and headers past the server's size limit.
import type { Generating } from './values.js';

const CONTENT_TYPES = [
  'text/plain',
  'application/json; charset=utf-16',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/jsonx',
  'APPLICATION/JSON',
  'application/json;;;',
  'application/problem+json',
  '*/*',
  '',
];
const POSITIONS = [
  '-1',
  '1e400',
  '9007199254740991',
  '9007199254740992',
  'abc',
  '',
  ' 1',
  '1.5',
  '0x10',
  '\xb9',
  '1, 2',
];
const KEYS = ['\x80\xff', 'k\tk', ' ', 'x'.repeat(256), 'x'.repeat(8000), '\xe9t\xe9', '*', 'k1 '];
const CREDENTIALS = [
  'Bearer x',
  'Bearer ',
  `Bearer ${'a'.repeat(5000)}`,
  'Basic YWRhOmFkYQ==',
  // {"alg":"none"} . {"sub":"boss","role":"manager"} . no signature
  'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJib3NzIiwicm9sZSI6Im1hbmFnZXIifQ.',
  'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJib3NzIiwicm9sZSI6Im1hbmFnZXIiLCJfX3Byb3RvX18iOnsieCI6MX19.c2ln',
];

/**
 * Junk headers to add to a request, most often none.
 *
 * @example
 * const headers = { ...valid, ...junkHeaders(g, true) };
 */
export function junkHeaders({ random }: Generating, hasBody: boolean): Record<string, string> {
  const junk: Record<string, string> = {};
  if (hasBody && random.next() < 0.15) junk['content-type'] = random.pick(CONTENT_TYPES);
  if (random.next() < 0.06) junk['twofold-after'] = random.pick(POSITIONS);
  if (random.next() < 0.06) junk['idempotency-key'] = random.pick(KEYS);
  if (random.next() < 0.08) junk.authorization = random.pick(CREDENTIALS);
  if (random.next() < 0.03) junk['twofold-correlation-id'] = random.pick(['', '\xff', 'x'.repeat(500), '../a b']);
  if (random.next() < 0.03) junk.accept = random.pick(['text/html', 'text/event-stream', 'application/xml', '']);
  if (random.next() < 0.02) junk['x-fuzz'] = 'a'.repeat(random.pick([9_000, 20_000, 70_000]));
  if (random.next() < 0.02) junk['if-match'] = random.pick(['"1"', 'W/"x"', '*', '', '"9007199254740993"']);
  return junk;
}
