/** A per-client token bucket for Express: enough against key guessing on one server, no dependency. */
import type { RequestHandler } from 'express';

/** Each client (an IPv4 address, an IPv6 /64) may send `burst` requests at once, refilled at `perMinute`. */
export interface RateLimitOptions {
  burst: number;
  perMinute: number;
}

/** At most this many clients are tracked; beyond it, buckets that have refilled are forgotten. */
const maxTracked = 10_000;

/** Answers 429 with `Retry-After` (seconds) once a client runs dry (`req.ip`: `trust proxy` behind one). */
export function rateLimit({ burst, perMinute }: RateLimitOptions): RequestHandler {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refill = (bucket: { tokens: number; at: number }, now: number) =>
    Math.min(burst, bucket.tokens + ((now - bucket.at) / 60_000) * perMinute);
  return (req, res, next) => {
    const now = Date.now();
    const client = clientKey(req.ip ?? 'unknown');
    const bucket = buckets.get(client) ?? { tokens: burst, at: now };
    bucket.tokens = refill(bucket, now);
    bucket.at = now;
    buckets.set(client, bucket);
    if (bucket.tokens < 1) {
      const wait = Math.ceil(((1 - bucket.tokens) * 60) / perMinute);
      res.set('retry-after', String(wait)).status(429).json({ error: 'too many requests' });
      return;
    }
    bucket.tokens -= 1;
    if (buckets.size > maxTracked) {
      for (const [key, other] of buckets) if (refill(other, now) >= burst) buckets.delete(key);
    }
    next();
  };
}

/**
 * The rate-limit key of a client address: an IPv6 client's /64 (what one subscriber is given),
 * IPv4 and IPv4-mapped IPv6 (`::ffff:1.2.3.4`) by the IPv4 address, anything else as it is.
 */
export function clientKey(ip: string): string {
  const groups = ipv6Groups(ip);
  if (groups === undefined) return ip;
  const hex = groups.map((group) => group.toString(16));
  const [high, low] = groups.slice(6) as [number, number];
  if (hex.slice(0, 6).join(':') === '0:0:0:0:0:ffff') {
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return `${hex.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (`::`, trailing IPv4, `%zone` allowed), else undefined. */
export function ipv6Groups(ip: string): number[] | undefined {
  let text = ip.replace(/%.*/, '');
  const ipv4 = /(?<=:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (ipv4) {
    const [a, b, c, d] = ipv4.slice(1).map(Number) as [number, number, number, number];
    if (Math.max(a, b, c, d) > 255) return undefined;
    text = `${text.slice(0, ipv4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::').map((half) => (half === '' ? [] : half.split(':')));
  const [head = [], tail] = halves;
  const gap = 8 - head.length - (tail?.length ?? 0);
  if (halves.length > 2 || (tail === undefined ? gap !== 0 : gap < 1)) return undefined;
  const groups = tail === undefined ? head : [...head, ...Array<string>(gap).fill('0'), ...tail];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group))) return undefined;
  return groups.map((group) => Number.parseInt(group, 16));
}
