"""WhatsApp Business Cloud API: the Graph API client, webhook payloads, and rendering replies."""
