import { runService } from "@herald/service-kit";
import { loyaltyService } from "./service.js";

await runService(loyaltyService);
