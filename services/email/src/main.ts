import { runService } from "@herald/service-kit";
import { emailService } from "./service.js";

await runService(emailService);
