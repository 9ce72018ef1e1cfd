// Validate glb files with the Khronos glTF validator; prints one JSON line per file:
// {"file", "errors", "warnings", "messages": [first 10 issues]}.
// Usage: node scripts/gltf-validate.js FILE.glb...   (npm install --prefix tools/gltf-validator gltf-validator)
const fs = require("fs");
const path = require("path");
const validator = require(path.join(__dirname, "..", "tools", "gltf-validator", "node_modules", "gltf-validator"));

(async () => {
  for (const file of process.argv.slice(2)) {
    const report = await validator.validateBytes(new Uint8Array(fs.readFileSync(file)), { maxIssues: 50 });
    const messages = report.issues.messages.slice(0, 10).map((m) => `${m.code} ${m.pointer || ""} ${m.message}`);
    console.log(JSON.stringify({ file, errors: report.issues.numErrors, warnings: report.issues.numWarnings, messages }));
  }
})().catch((e) => { console.error(String(e)); process.exit(2); });
