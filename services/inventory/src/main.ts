import { runService } from "@herald/service-kit";
import { inventoryService } from "./service.js";

await runService(inventoryService);
