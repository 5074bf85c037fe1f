import { describe, expect, it } from 'vitest';
import type { TargetSnapshot } from '../../src/approvals/types.js';
import { confirmsDelete, modalValue, validateEdit, validateReason } from '../../src/blocks/modal-input.js';

const before: TargetSnapshot = {
  id: '9b2f6c1e-3a4d-4e5f-8a7b-0c1d2e3f4a5b',
  firstName: 'Alice',
  lastName: 'Martin',
  image: 'https://cdn.example.com/alice.png',
  status: 'active',
  isOwner: false,
};
const bare: TargetSnapshot = { id: before.id, status: 'active', isOwner: false };
const unchanged = { firstName: 'Alice', lastName: 'Martin', image: 'https://cdn.example.com/alice.png' };

describe('validateEdit: names', () => {
  it('returns only the fields that change, trimmed', () => {
    expect(validateEdit({ ...unchanged, firstName: '  Alicia ' }, before)).toEqual({
      ok: true,
      changes: { firstName: 'Alicia' },
    });
    expect(validateEdit({ ...unchanged, firstName: ' Alice ', lastName: 'Dupont' }, before)).toEqual({
      ok: true,
      changes: { lastName: 'Dupont' },
    });
  });

  it('says nothing changed when every value matches', () => {
    expect(validateEdit(unchanged, before)).toEqual({
      ok: false,
      errors: { firstName: 'Nothing changed: edit at least one field.' },
    });
    expect(validateEdit({}, bare)).toEqual({
      ok: false,
      errors: { firstName: 'Nothing changed: edit at least one field.' },
    });
  });

  it('refuses emptying a name that had a value', () => {
    for (const empty of [null, undefined, '', '   ']) {
      expect(validateEdit({ ...unchanged, firstName: empty, lastName: 'Dupont' }, before)).toEqual({
        ok: false,
        errors: { firstName: "First name can't be empty" },
      });
    }
    expect(validateEdit({ ...unchanged, lastName: null }, before)).toEqual({
      ok: false,
      errors: { lastName: "Last name can't be empty" },
    });
  });

  it('leaves a name that was empty before and is empty now unchanged', () => {
    expect(validateEdit({ firstName: 'Bob', lastName: '' }, bare)).toEqual({
      ok: true,
      changes: { firstName: 'Bob' },
    });
  });

  it('counts code points: 100 emoji are fine, 101 characters are not', () => {
    const emoji = '😀'.repeat(100);
    expect(emoji.length).toBe(200);
    expect(validateEdit({ ...unchanged, firstName: emoji }, before)).toEqual({
      ok: true,
      changes: { firstName: emoji },
    });
    expect(validateEdit({ ...unchanged, firstName: 'a'.repeat(100) }, before).ok).toBe(true);
    expect(validateEdit({ ...unchanged, firstName: 'a'.repeat(101) }, before)).toEqual({
      ok: false,
      errors: { firstName: 'First name can be at most 100 characters.' },
    });
    expect(validateEdit({ ...unchanged, lastName: '😀'.repeat(101) }, before).ok).toBe(false);
  });

  it('accepts right-to-left and accented names', () => {
    expect(validateEdit({ ...unchanged, firstName: 'مريم', lastName: 'כהן' }, before)).toEqual({
      ok: true,
      changes: { firstName: 'مريم', lastName: 'כהן' },
    });
    expect(validateEdit({ ...unchanged, firstName: 'Zoë-Anaïs' }, before).ok).toBe(true);
    expect(validateEdit({ ...unchanged, firstName: '👩‍💻 Dev' }, before).ok).toBe(true);
  });

  it('refuses control characters and bidirectional overrides', () => {
    for (const name of [
      'Ali\u0000ce',
      'Ali\nce',
      'Ali\tce',
      'Ali\u0085ce',
      'Alice\u202Egnp.exe',
      'A\u2066x\u2069',
    ]) {
      expect(validateEdit({ ...unchanged, firstName: name }, before)).toEqual({
        ok: false,
        errors: { firstName: 'First name contains invisible control characters.' },
      });
    }
  });
});

describe('validateEdit: image', () => {
  it('accepts an https URL', () => {
    expect(validateEdit({ ...unchanged, image: ' https://cdn.example.com/a.png?v=2 ' }, before)).toEqual({
      ok: true,
      changes: { image: 'https://cdn.example.com/a.png?v=2' },
    });
    expect(validateEdit({ image: 'https://cdn.example.com/b.png' }, bare)).toEqual({
      ok: true,
      changes: { image: 'https://cdn.example.com/b.png' },
    });
  });

  it('refuses anything but an absolute https URL with a host', () => {
    for (const image of [
      'http://cdn.example.com/a.png',
      'javascript:alert(1)',
      'JAVASCRIPT:alert(1)',
      'data:image/png;base64,AAAA',
      'ftp://cdn.example.com/a.png',
      '//cdn.example.com/a.png',
      '/a.png',
      'cdn.example.com/a.png',
      'https://',
      'https:///a.png',
      'https:cdn.example.com/a.png',
      'https:\\\\cdn.example.com\\a.png',
      'https://cdn.example.com\\a.png',
    ]) {
      expect(validateEdit({ ...unchanged, image }, before)).toEqual({
        ok: false,
        errors: { image: 'Enter a full image URL starting with https://' },
      });
    }
  });

  it('refuses spaces, control characters, credentials and very long URLs', () => {
    const error = (image: string) => {
      const result = validateEdit({ ...unchanged, image }, before);
      return result.ok ? undefined : result.errors.image;
    };
    expect(error('https://cdn.example.com/a b.png')).toMatch(/spaces/);
    expect(error('https://cdn.example.com/a\u0007.png')).toMatch(/control/);
    expect(error('https://user:secret@cdn.example.com/a.png')).toMatch(/password/);
    expect(error(`https://cdn.example.com/${'a'.repeat(1976)}`)).toBeUndefined();
    expect(error(`https://cdn.example.com/${'a'.repeat(1977)}`)).toBe(
      'Keep the image URL under 2000 characters.',
    );
  });

  it('refuses removing an image, ignores an empty one that was empty', () => {
    expect(validateEdit({ ...unchanged, firstName: 'Alicia', image: '' }, before)).toEqual({
      ok: false,
      errors: { image: 'Removing the image is not supported; enter an https:// URL' },
    });
    expect(validateEdit({ firstName: 'Bob', image: null }, bare)).toEqual({
      ok: true,
      changes: { firstName: 'Bob' },
    });
  });

  it('reports every field error at once', () => {
    expect(
      validateEdit({ firstName: '', lastName: 'x'.repeat(101), image: 'http://x.example' }, before),
    ).toEqual({
      ok: false,
      errors: {
        firstName: "First name can't be empty",
        lastName: 'Last name can be at most 100 characters.',
        image: 'Enter a full image URL starting with https://',
      },
    });
  });
});

describe('validateEdit: like with like (what the modal showed)', () => {
  const odd = (firstName: string): TargetSnapshot => ({ ...before, firstName });
  const unshown = [
    'Alice ',
    ' Alice',
    'Ali\tce',
    'Ali\nce',
    'Ali\u00A0ce',
    'Ali\u200Bce',
    'a'.repeat(101),
    'x'.repeat(3000),
  ];

  it('never sends a stored name the modal could not show when its input is left empty', () => {
    for (const stored of unshown) {
      for (const empty of [undefined, null, '', '  ']) {
        expect(
          validateEdit({ firstName: empty, lastName: 'Dupont', image: before.image }, odd(stored)),
        ).toEqual({
          ok: true,
          changes: { lastName: 'Dupont' },
        });
      }
    }
  });

  it('sends such a name when the requester types a replacement, even the cleaned-up same text', () => {
    expect(validateEdit({ ...unchanged, firstName: 'Alice' }, odd('Alice '))).toEqual({
      ok: true,
      changes: { firstName: 'Alice' },
    });
    expect(validateEdit({ ...unchanged, firstName: 'Alice ' }, odd(' Alice'))).toEqual({
      ok: true,
      changes: { firstName: 'Alice' },
    });
    expect(validateEdit({ ...unchanged, firstName: 'Bob' }, odd('x'.repeat(3000)))).toEqual({
      ok: true,
      changes: { firstName: 'Bob' },
    });
  });

  it('a value typed as stored, or as stored plus spaces, is no change', () => {
    for (const typed of ['Alice', 'Alice ', ' Alice', '\tAlice\n']) {
      expect(validateEdit({ ...unchanged, firstName: typed }, before)).toEqual({
        ok: false,
        errors: { firstName: 'Nothing changed: edit at least one field.' },
      });
    }
  });

  it('a stored image the modal could not show (a path, a long URL) stays unless replaced', () => {
    for (const image of ['/avatars/a.png', `https://e.com/${'a'.repeat(2000)}`, 'http://old.example/a.png']) {
      expect(
        validateEdit({ firstName: 'Alicia', lastName: 'Martin', image: '' }, { ...before, image }),
      ).toEqual({
        ok: true,
        changes: { firstName: 'Alicia' },
      });
    }
  });

  it('refuses invisible characters and unusual spaces in a new name, but not emoji joiners', () => {
    for (const name of [
      'Ali\u00A0ce',
      'Ali\u200Bce',
      'Al\u200Dice',
      '\u200DAlice',
      'Ali\u2007ce',
      '\u3164',
      'Ali\uFEFFce',
      'Ali\uD800ce',
    ]) {
      const result = validateEdit({ ...unchanged, firstName: name }, before);
      expect(result.ok ? undefined : result.errors.firstName).toMatch(/invisible/);
    }
    for (const name of ['👩‍💻 Dev', '👩🏽‍💻', '❤️‍🔥 Ann', 'Ann  Marie']) {
      expect(validateEdit({ ...unchanged, firstName: name }, before)).toEqual({
        ok: true,
        changes: { firstName: name },
      });
    }
  });
});

describe('modalValue', () => {
  it('is the stored value exactly, or nothing when the input cannot hold it as it is', () => {
    expect(modalValue('firstName', 'Alice')).toBe('Alice');
    expect(modalValue('firstName', 'Ann  Marie')).toBe('Ann  Marie');
    expect(modalValue('firstName', 'a'.repeat(100))).toBe('a'.repeat(100));
    for (const stored of [undefined, '', 'Alice ', 'a'.repeat(101), '😀'.repeat(51), 'A\u0000', 'A\u00A0B']) {
      expect(modalValue('firstName', stored)).toBeUndefined();
    }
    expect(modalValue('image', 'https://e.com/a.png')).toBe('https://e.com/a.png');
    expect(modalValue('image', '/a.png')).toBeUndefined();
  });
});

describe('validateReason', () => {
  it('trims and keeps newlines', () => {
    expect(validateReason('  Left the company\r\nTicket SEC-42  ')).toEqual({
      ok: true,
      reason: 'Left the company\nTicket SEC-42',
    });
  });

  it('requires a reason by default', () => {
    for (const text of [null, undefined, '', '  \n ', '\u0000']) {
      expect(validateReason(text)).toEqual({ ok: false, error: 'A reason is required.' });
    }
    expect(validateReason('', { required: false })).toEqual({ ok: true, reason: '' });
    expect(validateReason(null, { required: false })).toEqual({ ok: true, reason: '' });
  });

  it('removes control characters other than newline', () => {
    expect(validateReason('a\u0000b\u0007c\td\u009Fe\nf')).toEqual({ ok: true, reason: 'abc de\nf' });
  });

  it('allows up to 1000 characters, counting code points', () => {
    expect(validateReason('a'.repeat(1000))).toEqual({ ok: true, reason: 'a'.repeat(1000) });
    expect(validateReason('🔒'.repeat(1000)).ok).toBe(true);
    expect(validateReason('a'.repeat(1001))).toEqual({
      ok: false,
      error: 'Keep the reason under 1000 characters.',
    });
  });

  it('keeps right-to-left text', () => {
    expect(validateReason('طلب من الموارد البشرية')).toEqual({ ok: true, reason: 'طلب من الموارد البشرية' });
  });
});

describe('confirmsDelete', () => {
  it('accepts the word in capitals, surrounding spaces trimmed', () => {
    for (const text of ['DELETE', ' DELETE \n']) expect(confirmsDelete(text)).toBe(true);
  });

  it('refuses anything else, the word in another case included', () => {
    const others = [
      'delete',
      'Delete',
      'DELETe',
      'ＤＥＬＥＴＥ',
      'DELET',
      'DELETE!',
      'DELETE ME',
      'yes',
      'D E L E T E',
    ];
    for (const text of [null, undefined, '', ...others]) {
      expect(confirmsDelete(text)).toBe(false);
    }
  });
});
