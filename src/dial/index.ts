export { type ConnectOptions, connect } from './connect.js';
export { connectWebSocket, type WebSocketConnectOptions } from './websocket-connect.js';
