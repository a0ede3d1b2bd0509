/** One end of a connection, as the transport saw it (Unix sockets: family 0, the path as address). */
export interface Endpoint {
  address: string;
  port: number;
  family: 4 | 6 | 0;
}
