/**
 * A TCP link the tests can cut: it accepts on a free loopback port and pipes every connection
 * to a target (PostgreSQL on 127.0.0.1:5432). `cut()` destroys every open connection and
 * refuses new ones, as a database that went away would; `restore()` lets connections through
 * again. `holdReplies()` keeps what the target answers until `releaseReplies()`, as a slow
 * network or an overloaded server would: requests still arrive and are carried out. Loopback only.
 */
import net from 'node:net';

export class CuttableLink {
  private readonly sockets = new Set<net.Socket>();
  private cutSince: number | undefined;
  /** Answers of the target kept back while replies are held, in order, with the socket they go to. */
  private held: { to: net.Socket; chunk: Buffer }[] | undefined;
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
  ) {}

  static async open(target: { host: string; port: number } = { host: '127.0.0.1', port: 5432 }): Promise<CuttableLink> {
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const link = new CuttableLink(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client) => link.accept(client, target));
    return link;
  }

  /** Whether the link is cut right now. */
  get isCut(): boolean {
    return this.cutSince !== undefined;
  }

  /** The URL `url` (e.g. a postgres:// URL) with its host and port replaced by this link's. */
  route(url: string): string {
    const u = new URL(url);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  cut(): void {
    this.cutSince = Date.now();
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.cutSince = undefined;
  }

  /** Keeps the target's answers back (requests still go through) until releaseReplies(). */
  holdReplies(): void {
    this.held ??= [];
  }

  /** Sends the answers kept back, in order, and lets further ones through at once. */
  releaseReplies(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const { to, chunk } of held) if (!to.destroyed) to.write(chunk);
  }

  async close(): Promise<void> {
    this.releaseReplies();
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket, target: { host: string; port: number }) {
    if (this.isCut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(target.port, target.host);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (this.held) this.held.push({ to: client, chunk });
      else client.write(chunk);
    });
  }
}
