import { runService } from "@herald/service-kit";
import { orderService } from "./service.js";

await runService(orderService);
