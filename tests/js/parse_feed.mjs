// Reads an RSS feed on stdin and prints what podcast-partytime extracts, as JSON.
import { parseFeed } from "podcast-partytime";

let xml = "";
for await (const chunk of process.stdin) xml += chunk;
const feed = parseFeed(xml, { allowMissingGuid: false });
process.stdout.write(JSON.stringify(feed, (key, value) => (value instanceof Date ? value.toISOString() : value)));
