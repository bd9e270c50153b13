import { runService } from "@herald/service-kit";
import { analyticsService } from "./service.js";

await runService(analyticsService);
