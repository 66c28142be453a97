export * from './message.js';
export * from './database-store.js';
export * from './database-lookup.js';
export * from './database-search-reply.js';
export * from './delivery-status.js';
