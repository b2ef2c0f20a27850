"""The TikTok Shop connector's shared package: domain logic, platform clients, storage, observability.

One direction only: handlers -> domain -> ports. Adapters (TikTok client, store clients,
DynamoDB repositories, queues) implement the ports. Domain code never sees a Lambda event
or a boto3 client.
"""
