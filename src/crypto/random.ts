/** Cryptographically secure random bytes (OpenSSL's CSPRNG via node:crypto). */
export { randomBytes } from 'node:crypto';
