import { describe, expect, it } from 'vitest';
import { compareText } from './text-order.js';

describe('compareText', () => {
  it('compares text by code point, as UTF-8 bytes order it', () => {
    const words = ['b', 'a', '\u{1F600}', '\uFFFD', 'ab', '', 'é'];
    const bytes = (s: string) => Buffer.from(s, 'utf8');
    expect(words.toSorted(compareText)).toEqual(words.toSorted((x, y) => Buffer.compare(bytes(x), bytes(y))));
  });
});
