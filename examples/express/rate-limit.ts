/** A per-IP token bucket for Express: enough against key guessing on one server, no dependency. */
import type { RequestHandler } from 'express';

/** Each IP may send `burst` requests at once, refilled at `perMinute`. */
export interface RateLimitOptions {
  burst: number;
  perMinute: number;
}

/** At most this many IPs are tracked; beyond it, buckets that have refilled are forgotten. */
const maxTracked = 10_000;

/** Answers 429 with `Retry-After` (seconds) once an IP (`req.ip`: set `trust proxy` behind one) runs dry. */
export function rateLimit({ burst, perMinute }: RateLimitOptions): RequestHandler {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refill = (bucket: { tokens: number; at: number }, now: number) =>
    Math.min(burst, bucket.tokens + ((now - bucket.at) / 60_000) * perMinute);
  return (req, res, next) => {
    const now = Date.now();
    const ip = req.ip ?? 'unknown';
    const bucket = buckets.get(ip) ?? { tokens: burst, at: now };
    bucket.tokens = refill(bucket, now);
    bucket.at = now;
    buckets.set(ip, bucket);
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
