// Decode an inline federated trace (`extensions.ftv1`) with Apollo's own protobuf classes, as a
// router does. Usage: node decode-trace.mjs BASE64   → prints the Trace as JSON
import protobuf from "@apollo/usage-reporting-protobuf";

const { Trace } = protobuf;
const trace = Trace.decode(Buffer.from(process.argv[2], "base64"));
console.log(JSON.stringify(Trace.toObject(trace, { longs: Number, defaults: false })));
