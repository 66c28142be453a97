/**
 * The I2PControl service core, without I/O: a request body (and the time and the client's address)
 * in, the answer body and the actions to run afterwards out. The HTTP(S) shell is ./server.ts.
 *
 * Dispatch order for each request (matching Java I2P's, whose error codes we answer): envelope
 * checks (-32600/-32602) → method lookup (-32601) → token (-32002/-32003/-32004; not for
 * Authenticate) → the method's own parameter checks (-32602) → result. A router-view getter that
 * throws becomes -32603 and is logged; nothing a client sends can crash the router.
 *
 * JSON-RPC batches are supported (the JSON-RPC 2.0 spec allows them; i2pd answers them with a parse
 * error), bounded by `maxBatch`. Notifications (no `id`) are executed and not answered.
 */
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';
import {
  AuthThrottle,
  I2PCONTROL_API_VERSION,
  I2PControlErrorCode,
  PasswordVerifier,
  TokenStore,
  i2pControlError,
  type AuthThrottleOptions,
  type TokenStoreOptions,
} from './auth.js';
import {
  JsonRpcErrorCode,
  RpcError,
  checkRequest,
  errorResponse,
  param,
  parseBody,
  successResponse,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type NamedParams,
} from './json-rpc.js';
import { TOKEN_PARAM, echo, networkSetting, routerInfo, routerManager, type I2PControlEffect } from './methods.js';
import type { I2PControlRouterView } from './router-view.js';

export type { I2PControlEffect } from './methods.js';

export interface I2PControlHandlerOptions {
  view: I2PControlRouterView;
  /** i2pd's `i2pcontrol.password` (default "itoopie"). */
  password: string;
  log?: Logger;
  tokens?: Partial<TokenStoreOptions>;
  throttle?: Partial<AuthThrottleOptions>;
  /** Requests in one JSON-RPC batch, at most (default 32). */
  maxBatch?: number;
}

export interface RequestContext {
  /** Milliseconds since the epoch (token expiry, guessing throttle). */
  now: number;
  /** The client's address: the guessing throttle counts per address. */
  remoteAddress: string;
}

export interface I2PControlReply {
  /** JSON text to send; undefined when nothing must be answered (notifications only). */
  body: string | undefined;
  /** To run, in order, after the answer has been sent. */
  effects: I2PControlEffect[];
}

export const METHODS = ['Authenticate', 'Echo', 'I2PControl', 'RouterInfo', 'RouterManager', 'NetworkSetting'] as const;
type MethodName = (typeof METHODS)[number];

function isMethod(name: string): name is MethodName {
  return (METHODS as readonly string[]).includes(name);
}

function invalidParams(why: string): RpcError {
  return new RpcError(JsonRpcErrorCode.InvalidParams, `Invalid parameters: ${why}`);
}

export class I2PControlHandler {
  private readonly view: I2PControlRouterView;
  private readonly log: Logger;
  private readonly tokens: TokenStore;
  private readonly throttle: AuthThrottle;
  private readonly maxBatch: number;
  private password: PasswordVerifier;

  constructor(opts: I2PControlHandlerOptions) {
    this.view = opts.view;
    this.log = opts.log ?? silentLogger();
    this.password = new PasswordVerifier(opts.password);
    this.tokens = new TokenStore(opts.tokens);
    this.throttle = new AuthThrottle(opts.throttle);
    this.maxBatch = opts.maxBatch ?? 32;
  }

  /** Live tokens (for tests and diagnostics). */
  get tokenCount(): number {
    return this.tokens.size;
  }

  /** Answer one HTTP request body: a single request or a batch. */
  handleBody(body: Uint8Array | string, ctx: RequestContext): I2PControlReply {
    const parsed = parseBody(body, this.maxBatch);
    if (parsed.kind === 'invalid') return { body: JSON.stringify(parsed.response), effects: [] };
    if (parsed.kind === 'single') return this.handleMessage(parsed.message, ctx);
    const effects: I2PControlEffect[] = [];
    const responses: JsonRpcResponse[] = [];
    for (const message of parsed.messages) {
      const one = this.handleOne(message, ctx);
      effects.push(...one.effects);
      if (one.response !== undefined) responses.push(one.response);
    }
    // JSON-RPC 2.0 §6: no Response objects → send nothing at all, not an empty array.
    return { body: responses.length === 0 ? undefined : JSON.stringify(responses), effects };
  }

  /** Answer one already-parsed JSON-RPC request object. */
  handleMessage(message: unknown, ctx: RequestContext): I2PControlReply {
    const one = this.handleOne(message, ctx);
    return { body: one.response === undefined ? undefined : JSON.stringify(one.response), effects: one.effects };
  }

  private handleOne(message: unknown, ctx: RequestContext): { response: JsonRpcResponse | undefined; effects: I2PControlEffect[] } {
    const checked = checkRequest(message);
    if (!checked.ok) return { response: checked.response, effects: [] };
    const req = checked.request;
    let result: unknown;
    let effects: I2PControlEffect[] = [];
    try {
      ({ result, effects } = this.dispatch(req, ctx));
    } catch (e) {
      let error: RpcError;
      if (e instanceof RpcError) {
        error = e;
      } else {
        this.log.error({ err: e, method: req.method }, 'I2PControl: internal error while answering');
        error = new RpcError(JsonRpcErrorCode.InternalError);
      }
      return { response: req.notification ? undefined : errorResponse(req.id, error), effects: [] };
    }
    return { response: req.notification ? undefined : successResponse(req.id, result), effects };
  }

  private dispatch(req: JsonRpcRequest, ctx: RequestContext): { result: unknown; effects: I2PControlEffect[] } {
    const method = req.method;
    if (!isMethod(method)) {
      this.log.debug({ method }, 'I2PControl: unknown method');
      throw new RpcError(JsonRpcErrorCode.MethodNotFound);
    }
    if (method === 'Authenticate') return { result: this.authenticate(req.params, ctx), effects: [] };
    this.tokens.check(param(req.params, TOKEN_PARAM), ctx.now);
    this.log.debug({ method }, 'I2PControl request');
    switch (method) {
      case 'Echo':
        return { result: echo(req.params), effects: [] };
      case 'I2PControl':
        return { result: this.i2pControl(req.params, ctx), effects: [] };
      case 'RouterInfo':
        return { result: routerInfo(this.view, req.params), effects: [] };
      case 'RouterManager': {
        const r = routerManager(this.view, req.params);
        if (r.effects.length > 0) this.log.info({ actions: r.effects, from: ctx.remoteAddress }, 'I2PControl: RouterManager request');
        return r;
      }
      case 'NetworkSetting':
        return { result: networkSetting(this.view, req.params), effects: [] };
    }
  }

  /**
   * `Authenticate {API, Password}` → `{API: 1, Token}`. API must be 1 (a number, or "1" as i2pd's
   * parser also accepts); the password is only looked at when the client's address is not waiting
   * out earlier failures.
   */
  private authenticate(params: NamedParams, ctx: RequestContext): { API: number; Token: string } {
    const wait = this.throttle.retryAfterMs(ctx.remoteAddress, ctx.now);
    if (wait > 0) {
      throw new RpcError(I2PControlErrorCode.InvalidPassword, `Too many failed authentication attempts; try again in ${Math.ceil(wait / 1000)} s.`, {
        retryAfterMs: wait,
      });
    }
    const api = param(params, 'API');
    if (api === undefined || api === null || api === '') throw i2pControlError(I2PControlErrorCode.UnspecifiedApiVersion);
    if (!(api === I2PCONTROL_API_VERSION || api === String(I2PCONTROL_API_VERSION))) {
      throw i2pControlError(I2PControlErrorCode.UnsupportedApiVersion, { supported: [I2PCONTROL_API_VERSION] });
    }
    const password = param(params, 'Password');
    if (typeof password !== 'string') throw invalidParams('"Password" must be a string');
    if (!this.password.matches(password)) {
      this.throttle.recordFailure(ctx.remoteAddress, ctx.now);
      // Never log the attempted password (i2pd does).
      this.log.warn({ from: ctx.remoteAddress }, 'I2PControl: Authenticate with a wrong password');
      throw i2pControlError(I2PControlErrorCode.InvalidPassword);
    }
    this.throttle.recordSuccess(ctx.remoteAddress);
    return { API: I2PCONTROL_API_VERSION, Token: this.tokens.issue(ctx.now) };
  }

  /**
   * `I2PControl`: only `i2pcontrol.password` can be honoured at run time (all tokens are revoked,
   * as the spec says; like i2pd, the change lasts until restart). A new address or port would need
   * a rebind we do not do: refused, and then nothing is changed. Unknown keys are ignored.
   */
  private i2pControl(params: NamedParams, ctx: RequestContext): Record<string, unknown> {
    for (const key of ['i2pcontrol.address', 'i2pcontrol.port']) {
      const v = param(params, key);
      if (v !== undefined && v !== null && v !== '') {
        throw invalidParams(`${key} cannot be changed at run time; set it in the config file and restart`);
      }
    }
    const newPassword = param(params, 'i2pcontrol.password');
    if (newPassword === undefined || newPassword === null) return { SettingsSaved: false, RestartNeeded: false };
    if (typeof newPassword !== 'string' || newPassword === '') throw invalidParams('"i2pcontrol.password" must be a non-empty string');
    this.password = new PasswordVerifier(newPassword);
    this.tokens.revokeAll();
    this.log.warn({ from: ctx.remoteAddress }, 'I2PControl: password changed until restart; set i2pcontrol.password in the config file to keep it');
    return { 'i2pcontrol.password': null, SettingsSaved: true, RestartNeeded: false };
  }
}

/** Run the actions of a reply against the router; each one's failure is logged, not thrown. */
export function applyEffects(view: I2PControlRouterView, effects: readonly I2PControlEffect[], log: Logger): void {
  for (const e of effects) {
    try {
      if (e.kind === 'shutdown') view.shutdown(e.graceful);
      else if (e.kind === 'reseed') view.reseed();
      else if (view.restart) view.restart(e.graceful);
    } catch (err) {
      log.error({ err, action: e }, 'I2PControl: router action failed');
    }
  }
}
