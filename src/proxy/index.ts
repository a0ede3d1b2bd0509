export { type AuthChallenge, parseChallenges } from './auth-challenge.js';
export { basicAuthorization, basicCredentialsMatch } from './basic-auth.js';
export {
  connectThroughProxies,
  DEFAULT_HANDSHAKE_TIMEOUT,
  type ProxyChainOptions,
} from './chain.js';
export { digestAuthorization } from './digest.js';
export {
  type DigestVerdict,
  DigestVerifier,
  type DigestVerifierOptions,
} from './digest-server.js';
export { type BodyFramer, requestBodyFramer } from './http-body.js';
export { type HttpConnectResult, httpConnect } from './http-connect.js';
export {
  type HeaderField,
  HttpHeadError,
  type HttpHeadErrorReason,
  type HttpRequestHead,
  type HttpResponseHead,
  MAX_HEAD_BYTES,
  parseRequestHead,
  parseResponseHead,
} from './http-head.js';
export { createHttpProxyHandler } from './http-proxy-server.js';
export {
  type ClientBytes,
  DEFAULT_PROXY_HANDSHAKE_TIMEOUT,
  type ProxyServerOptions,
  type TunnelInfo,
} from './proxy-server-options.js';
export {
  DEFAULT_PROXY_PORTS,
  formatProxy,
  type ProxyAuth,
  type ProxyDefaults,
  type ProxyDns,
  type ProxyHop,
  type ProxyType,
  parseProxyAuth,
  parseProxyChain,
  parseProxyDns,
  parseProxySpec,
  parseProxyType,
} from './proxy-spec.js';
export {
  encodeReply as encodeSocks5Reply,
  parseCredentials as parseSocks5Credentials,
  parseGreeting as parseSocks5Greeting,
  parseRequest as parseSocks5Request,
  Socks5ParseError,
  Socks5Reply,
  type Socks5Request,
} from './socks5-messages.js';
export { createSocks5Handler } from './socks5-server.js';
export { type SpliceResult, splice } from './splice.js';
