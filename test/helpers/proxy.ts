import net from 'node:net'

/** A TCP proxy on loopback in front of a real server, that a test can cut and restore. */
export interface Proxy {
  readonly port: number
  /** Stops accepting and drops every open connection: the server looks down. */
  down (): Promise<void>
  /** Accepts again, on the same port. */
  up (): Promise<void>
  close (): Promise<void>
}

export async function startProxy (t: { teardown (fn: () => unknown): void }, target: { host: string, port: number }): Promise<Proxy> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((client) => {
    const upstream = net.connect(target)
    sockets.add(client).add(upstream)
    const drop = (): void => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream) }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream).pipe(client)
  })
  const listen = async (port: number): Promise<void> => { await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)) }
  await listen(0)
  const port = (server.address() as net.AddressInfo).port
  const down = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    for (const socket of sockets) socket.destroy()
    await closed
  }
  const proxy: Proxy = { port, down, up: async () => { await listen(port) }, close: async () => { if (server.listening) await down() } }
  t.teardown(proxy.close)
  return proxy
}
