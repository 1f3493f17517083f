/** `npm run schema`: writes the JSON Schema of lure.config.json for editor completion. */
import { writeFileSync } from "fs";
import { resolve } from "path";
import { jsonSchema } from "../config";

export const SCHEMA_FILE = resolve(__dirname, "../config.schema.json");

export const renderSchema = (): string => JSON.stringify(jsonSchema(), null, 2) + "\n";

if (require.main === module) {
  writeFileSync(SCHEMA_FILE, renderSchema());
  console.log(`wrote ${SCHEMA_FILE}`);
}
