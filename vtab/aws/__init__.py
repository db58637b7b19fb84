"""Talking to AWS: boto3 Cloud Control calls, answer checks, the call log, AWS errors -> apsw errors."""
