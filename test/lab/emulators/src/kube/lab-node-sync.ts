// lab-node-sync: publish this host's node status to the shared cluster state (no-op outside a cluster).
import { main, out } from "./lab.js";
import { syncNode } from "./node-state.js";

await main("lab-node-sync", (args) => {
  const name = syncNode();
  if (args.includes("-v") && name) out(`synced node ${name}`);
});
