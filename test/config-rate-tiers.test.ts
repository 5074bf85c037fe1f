import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

// SLACK_RATE_TIERS: pacing within Slack's tiers is on unless turned off in so many words.
const base = {
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_SIGNING_SECRET: 'secret',
  CIPHERSCALE_API_TOKEN: 'token',
  APPROVER_USER_IDS: 'U0APPROVER1',
};

describe('SLACK_RATE_TIERS', () => {
  it('is kept by default; off only when it says off', () => {
    expect(loadConfig(base).slack.rateTiers).toBe('kept');
    expect(loadConfig({ ...base, SLACK_RATE_TIERS: 'kept' }).slack.rateTiers).toBe('kept');
    expect(loadConfig({ ...base, SLACK_RATE_TIERS: 'off' }).slack.rateTiers).toBe('off');
  });

  it('refuses anything else, naming the setting (a typo never turns pacing off)', () => {
    for (const value of ['no', 'OFF ', 'false', '0'])
      expect(() => loadConfig({ ...base, SLACK_RATE_TIERS: value })).toThrow(
        /SLACK_RATE_TIERS: must be kept or off/,
      );
  });
});
