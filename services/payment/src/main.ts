import { runService } from "@herald/service-kit";
import { paymentService } from "./service.js";

await runService(paymentService);
