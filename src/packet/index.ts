export { internetChecksum } from './checksum.js';
export {
  decodeIcmpEcho,
  encodeIcmpEcho,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  ICMPV6_ECHO_REPLY,
  ICMPV6_ECHO_REQUEST,
  type IcmpEcho,
} from './icmp.js';
export {
  decodeIpv4Header,
  encodeIpv4Header,
  type Ipv4Header,
  type Ipv4HeaderFields,
} from './ipv4.js';
export { encodeUdpDatagram, type UdpFields } from './udp.js';
