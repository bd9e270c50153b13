export { configSpec, type EmailConfig } from "./config.js";
export { composeMail, factOf, type MailDraft, type OrderFacts } from "./mail/compose.js";
export { messageIdFor } from "./mail/message-id.js";
export { createEmailReactions, EMAIL_TOPICS } from "./mail/reactions.js";
export { createMailSender, type MailSender, type MailTransport } from "./mail/sender.js";
export { emailMigrations } from "./migrations.js";
export { emailService } from "./service.js";
