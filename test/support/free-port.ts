// A TCP port for tests that need one nobody uses: to start a server on, or to get "connection
// refused" from.
import { createServer } from "node:net";

/** A port on 127.0.0.1 that nothing listens on just now: bound by the kernel, then released. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
