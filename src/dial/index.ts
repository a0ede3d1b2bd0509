export { type ConnectOptions, connect } from './connect.js';
export { connectUdp, type DialUdpOptions } from './connect-udp.js';
export { connectWebSocket, type WebSocketConnectOptions } from './websocket-connect.js';
