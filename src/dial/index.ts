export { type ConnectOptions, connect } from './connect.js';
export { connectUdp, type DialUdpOptions } from './connect-udp.js';
