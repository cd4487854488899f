import { describe, expect, it } from 'vitest';
import type { MailMessage } from '../../src/index.js';
import { isLicenseKitError } from '../../src/index.js';
import { memoryMailer } from '../../src/testing.js';

function message(n: number): MailMessage {
  return { to: `buyer${n}@example.com`, subject: `Subject ${n}`, text: `Text ${n}` };
}

describe('memoryMailer', () => {
  it('records every message in send order', async () => {
    const mailer = memoryMailer();
    await mailer.send(message(1));
    await mailer.send({ ...message(2), html: '<p>2</p>', from: 'shop@example.com' });
    await mailer.send(message(3));
    expect(mailer.sent).toEqual([
      message(1),
      { ...message(2), html: '<p>2</p>', from: 'shop@example.com' },
      message(3),
    ]);
    expect(mailer.failed).toEqual([]);
  });

  it('records a copy, so later changes to the message do not alter the record', async () => {
    const mailer = memoryMailer();
    const original = message(1);
    await mailer.send(original);
    original.subject = 'changed';
    expect(mailer.sent[0]?.subject).toBe('Subject 1');
  });

  it('fails every send with fail: true and records it in failed only', async () => {
    const mailer = memoryMailer({ fail: true });
    await expect(mailer.send(message(1))).rejects.toThrow(new Error('memoryMailer: send failed'));
    expect(mailer.sent).toEqual([]);
    expect(mailer.failed).toEqual([message(1)]);
  });

  it('fails only the messages the predicate matches', async () => {
    const mailer = memoryMailer({ fail: (m) => m.to.startsWith('buyer2') });
    await mailer.send(message(1));
    await expect(mailer.send(message(2))).rejects.toThrow('memoryMailer: send failed');
    await mailer.send(message(3));
    expect(mailer.sent.map((m) => m.to)).toEqual(['buyer1@example.com', 'buyer3@example.com']);
    expect(mailer.failed.map((m) => m.to)).toEqual(['buyer2@example.com']);
  });

  it('fail: false never fails', async () => {
    const mailer = memoryMailer({ fail: false });
    await mailer.send(message(1));
    expect(mailer.sent).toHaveLength(1);
  });

  it('failNext() fails exactly the next send, failNext(n) the next n', async () => {
    const mailer = memoryMailer();
    mailer.failNext();
    await expect(mailer.send(message(1))).rejects.toThrow('memoryMailer: send failed');
    await mailer.send(message(2));

    mailer.failNext(2);
    await expect(mailer.send(message(3))).rejects.toThrow();
    await expect(mailer.send(message(4))).rejects.toThrow();
    await mailer.send(message(5));

    expect(mailer.sent.map((m) => m.subject)).toEqual(['Subject 2', 'Subject 5']);
    expect(mailer.failed.map((m) => m.subject)).toEqual(['Subject 1', 'Subject 3', 'Subject 4']);
  });

  it('failNext adds to failures already pending', async () => {
    const mailer = memoryMailer();
    mailer.failNext(1);
    mailer.failNext(1);
    await expect(mailer.send(message(1))).rejects.toThrow();
    await expect(mailer.send(message(2))).rejects.toThrow();
    await mailer.send(message(3));
    expect(mailer.sent).toHaveLength(1);
  });

  it('rejects a negative or fractional failNext count with INVALID_INPUT', () => {
    const mailer = memoryMailer();
    for (const count of [-1, 1.5, Number.NaN]) {
      let caught: unknown;
      try {
        mailer.failNext(count);
      } catch (error) {
        caught = error;
      }
      expect(isLicenseKitError(caught, 'INVALID_INPUT')).toBe(true);
    }
  });

  it('clear() empties sent and failed in place and cancels pending failures', async () => {
    const mailer = memoryMailer();
    const { sent, failed } = mailer;
    await mailer.send(message(1));
    mailer.failNext(3);
    await expect(mailer.send(message(2))).rejects.toThrow();
    mailer.clear();
    expect(sent).toEqual([]);
    expect(failed).toEqual([]);
    await mailer.send(message(3));
    expect(mailer.sent).toEqual([message(3)]);
    expect(mailer.sent).toBe(sent);
  });
});
