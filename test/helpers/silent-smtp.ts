import net from 'node:net'
import type { Test } from 'tap'

/** An "SMTP server" that accepts connections and never answers, not even with a greeting. */
export interface SilentSmtp {
  readonly url: string
  /** Connections open now. */
  readonly open: number
  /** Connections the client has closed (its FIN arrived), however long this server keeps its own side open. */
  readonly closedByClient: number
}

export async function startSilentSmtp (t: Test): Promise<SilentSmtp> {
  const sockets = new Set<net.Socket>()
  let closedByClient = 0
  // allowHalfOpen: the server does not even close its side when the client closes its own.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('end', () => { closedByClient++ })
    socket.on('close', () => { sockets.delete(socket) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  return {
    url: `smtp://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    get open () { return sockets.size },
    get closedByClient () { return closedByClient }
  }
}
