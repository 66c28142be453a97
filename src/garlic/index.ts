/** Garlic encryption pieces: ratchet payload blocks, one-time-key and session-tag replies, Noise-N garlic to routers. */
export * from './delivery-instructions.js';
export * from './garlic-message.js';
export * from './ratchet-payload.js';
export * from './one-time-reply.js';
export * from './session-tag-reply.js';
export * from './router-garlic.js';
