/**
 * I2PControl (docs/api-i2pcontrol.html): JSON-RPC 2.0 remote control over HTTPS, compatible with
 * clients written for i2pd 2.45.1. Wiring: build an I2PControlRouterView over the router, then
 * `const s = await I2PControlServer.fromConfig(config, { datadir, view, log }); await s.start();`
 * and `await s.stop()` on shutdown.
 */
export { I2PControlServer, type I2PControlServerOptions } from './server.js';
export { I2PControlHandler, applyEffects, METHODS, type I2PControlHandlerOptions, type I2PControlReply, type RequestContext } from './handler.js';
export { NetStatus, type BandwidthRates, type I2PControlRouterView, type NetworkSettingsSnapshot } from './router-view.js';
export { BandwidthMeter } from './bandwidth-meter.js';
export { ROUTER_INFO_KEYS, type I2PControlEffect } from './methods.js';
export { I2PCONTROL_API_VERSION, I2PControlErrorCode } from './auth.js';
export { JsonRpcErrorCode, RpcError } from './json-rpc.js';
export { createSelfSignedCertificate, loadOrCreateCertificate } from './tls-certificate.js';
