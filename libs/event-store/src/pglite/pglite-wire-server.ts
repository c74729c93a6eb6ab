import { type Server, type Socket, createServer } from 'node:net';

import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

/**
 * Serves one PGlite database over the PostgreSQL wire protocol on a loopback port.
 *
 * PGlite is a single backend session. `@electric-sql/pglite-socket` (0.2) queues messages one by
 * one, so the extended-protocol messages of concurrent connections interleave (a Bind lands on
 * another connection's Parse: "unnamed prepared statement does not exist", or a statement runs
 * inside another connection's transaction and is rolled back with it; reproduced here). This
 * server gives one connection the database for a whole request, from its first message to its
 * Sync or simple Query, and for as long as that leaves a transaction open, so each connection
 * behaves as its own session.
 */
export class PgliteWireServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  /** Which connection owns the session now, and who waits for it. */
  private owner: Connection | undefined;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly db: PGlite) {
    this.server = createServer((socket) => this.accept(socket));
  }

  async listen(): Promise<{ host: string; port: number }> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', resolve);
    });
    const address = this.server.address();
    if (!address || typeof address === 'string')
      throw new Error('PGlite server has no TCP address');
    return { host: '127.0.0.1', port: address.port };
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    const connection = new Connection(socket);
    socket.on('data', (chunk: Buffer) => {
      connection.buffer = Buffer.concat([connection.buffer, chunk]);
      void this.drain(connection);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
      connection.closed = true;
      void this.releaseClosed(connection);
    });
  }

  /** Processes every complete message the connection has sent, in order, one drain at a time. */
  private async drain(connection: Connection): Promise<void> {
    if (connection.draining) return;
    connection.draining = true;
    try {
      for (;;) {
        const message = connection.nextMessage();
        if (!message) return;
        if (message.kind === 'ssl') {
          connection.socket.write('N');
          continue;
        }
        if (message.kind === 'cancel') continue; // not supported: queries here are short
        if (message.kind === 'terminate') {
          connection.socket.end();
          return;
        }
        await this.acquire(connection);
        // Streamed: large results go out in chunks as PGlite produces them.
        await this.db.execProtocolRawStream(message.bytes, {
          onRawData: (chunk) => {
            // A copy: the chunk is a view of WebAssembly memory that the next query overwrites.
            if (chunk.length > 0 && !connection.closed) connection.socket.write(Buffer.from(chunk));
          },
        });
        // A request ends with Sync or a simple Query; the session stays ours inside a transaction.
        if (
          (message.kind === 'startup' || message.type === 'S' || message.type === 'Q') &&
          !this.db.isInTransaction()
        ) {
          this.release(connection);
        }
      }
    } catch {
      connection.socket.destroy();
    } finally {
      connection.draining = false;
    }
  }

  private async acquire(connection: Connection): Promise<void> {
    while (this.owner && this.owner !== connection) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.owner = connection;
  }

  private release(connection: Connection): void {
    if (this.owner !== connection) return;
    this.owner = undefined;
    for (const wake of this.waiting.splice(0)) wake();
  }

  /** A connection that goes away mid-transaction must not leave the session in it. */
  private async releaseClosed(connection: Connection): Promise<void> {
    if (this.owner !== connection) return;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK').catch(() => undefined);
    this.release(connection);
  }
}

type Message =
  | { kind: 'ssl' }
  | { kind: 'cancel' }
  | { kind: 'terminate' }
  | { kind: 'startup'; bytes: Uint8Array; type?: undefined }
  | { kind: 'regular'; type: string; bytes: Uint8Array };

class Connection {
  buffer = Buffer.alloc(0);
  started = false;
  draining = false;
  closed = false;

  constructor(readonly socket: Socket) {}

  /** Cuts the next complete message off the buffer (startup packets have no type byte). */
  nextMessage(): Message | undefined {
    if (!this.started) {
      if (this.buffer.length < 8) return undefined;
      const length = this.buffer.readInt32BE(0);
      if (this.buffer.length < length) return undefined;
      const code = this.buffer.readInt32BE(4);
      const bytes = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      if (code === SSL_REQUEST) return { kind: 'ssl' };
      if (code === CANCEL_REQUEST) return { kind: 'cancel' };
      if (code === PROTOCOL_3) this.started = true;
      return { kind: 'startup', bytes: new Uint8Array(bytes) };
    }
    if (this.buffer.length < 5) return undefined;
    const length = 1 + this.buffer.readInt32BE(1);
    if (this.buffer.length < length) return undefined;
    const type = String.fromCharCode(this.buffer[0]!);
    const bytes = this.buffer.subarray(0, length);
    this.buffer = this.buffer.subarray(length);
    if (type === 'X') return { kind: 'terminate' };
    return { kind: 'regular', type, bytes: new Uint8Array(bytes) };
  }
}
