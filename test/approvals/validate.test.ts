import { describe, expect, it } from 'vitest';
import { staleFields } from '../../src/approvals/validate.js';

describe('staleFields', () => {
  it('compares the fields an edit sends byte for byte: missing and empty differ, untouched fields are ignored', () => {
    const changes = { lastName: 'Dupont' };
    expect(staleFields(changes, { lastName: 'Martin' }, { lastName: 'Martin' })).toEqual([]);
    expect(staleFields(changes, { lastName: 'Martin ' }, { lastName: 'Martin' })).toEqual(['lastName']);
    expect(staleFields(changes, { lastName: undefined }, { lastName: '' })).toEqual(['lastName']);
    expect(
      staleFields(changes, { firstName: 'A', lastName: 'M' }, { firstName: 'B', lastName: 'M' }),
    ).toEqual([]);
  });
});
