/** Crockford's base32 alphabet (no I, L, O or U): the symbols of ULIDs and license keys. */
export const crockfordBase32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
