/** ECIES tunnel building: record formats and crypto, the hop side and the creator side. */
export * from './build-record.js';
export * from './record-crypto.js';
export * from './replay-cache.js';
export * from './build-request.js';
export * from './build-creator.js';
