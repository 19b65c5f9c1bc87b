import net from 'node:net'

/** A TCP proxy on loopback in front of a real server, that a test can cut, black-hole and restore. */
export interface Proxy {
  readonly port: number
  /** Stops accepting and drops every open connection: the server looks down (connections are refused). */
  down (): Promise<void>
  /**
   * Keeps accepting and holds every byte, both ways, new connections included: the server looks
   * like a black hole (a dead host behind a firewall that drops packets) that never answers nor refuses.
   */
  blackHole (): void
  /**
   * Forwards again, on the same port: bytes held by a black hole are delivered in order, as a network
   * that comes back delivers what TCP kept retransmitting.
   */
  up (): Promise<void>
  close (): Promise<void>
}

export async function startProxy (t: { teardown (fn: () => unknown): void }, target: { host: string, port: number }): Promise<Proxy> {
  const sockets = new Set<net.Socket>()
  let held: Array<{ to: net.Socket, chunk: Buffer }> | null = null
  const forward = (from: net.Socket, to: net.Socket): void => {
    from.on('data', (chunk: Buffer) => {
      if (held === null) to.write(chunk)
      else held.push({ to, chunk })
    })
  }
  const server = net.createServer((client) => {
    const upstream = net.connect(target)
    sockets.add(client).add(upstream)
    const drop = (): void => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream) }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    forward(client, upstream)
    forward(upstream, client)
  })
  const listen = async (port: number): Promise<void> => { await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)) }
  await listen(0)
  const port = (server.address() as net.AddressInfo).port
  const down = async (): Promise<void> => {
    held = null
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    await closed
  }
  const up = async (): Promise<void> => {
    const release = held ?? []
    held = null
    for (const { to, chunk } of release) to.write(chunk)
    if (!server.listening) await listen(port)
  }
  const blackHole = (): void => { held ??= [] }
  const proxy: Proxy = { port, down, blackHole, up, close: async () => { if (server.listening) await down() } }
  t.teardown(proxy.close)
  return proxy
}
