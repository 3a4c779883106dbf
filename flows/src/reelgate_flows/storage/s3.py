"""S3 storage (``s3://bucket/prefix``) with boto3's transfer manager.

Uploads are multipart with ``part_size`` parts and at most ``max_concurrency`` in flight, so
memory stays near ``part_size * max_concurrency`` whatever the video's size. boto3 reads its
own configuration (``AWS_ENDPOINT_URL_S3``, credentials, region) from the environment.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import boto3
from boto3.exceptions import Boto3Error
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from reelgate.errors import StorageError
from reelgate_flows.storage.base import StoredObject

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class S3Storage:
    def __init__(
        self,
        bucket: str,
        prefix: str,
        *,
        part_size: int,
        max_concurrency: int,
        presign_seconds: int | None,
        public_base_url: str | None,
        client: S3Client | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.presign_seconds = presign_seconds
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.client: S3Client = client or boto3.client(
            "s3",
            config=Config(
                signature_version="s3v4",
                retries={"max_attempts": 5, "mode": "standard"},
                connect_timeout=10,
                read_timeout=60,
            ),
        )
        self.transfer = TransferConfig(
            multipart_threshold=part_size,
            multipart_chunksize=part_size,
            max_concurrency=max_concurrency,
            max_io_queue=max_concurrency * 2,
            use_threads=True,
        )

    def full_key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, source: Path, key: str) -> StoredObject:
        full = self.full_key(key)
        try:
            self.client.upload_file(
                str(source),
                self.bucket,
                full,
                ExtraArgs={"ContentType": mimetypes.guess_type(full)[0] or "video/mp4"},
                Config=self.transfer,
            )
        except (Boto3Error, BotoCoreError, ClientError, OSError) as exc:
            raise StorageError(f"could not upload to s3://{self.bucket}/{full}: {exc}") from exc
        return StoredObject(url=self.url(full), key=full, size_bytes=source.stat().st_size)

    def url(self, full_key: str) -> str:
        if self.presign_seconds:
            return self.client.generate_presigned_url(
                "get_object",
                Params={"Bucket": self.bucket, "Key": full_key},
                ExpiresIn=self.presign_seconds,
            )
        if self.public_base_url:
            return f"{self.public_base_url}/{quote(full_key)}"
        endpoint = self.client.meta.endpoint_url.rstrip("/")
        if endpoint.endswith(".amazonaws.com"):
            region = self.client.meta.region_name
            return f"https://{self.bucket}.s3.{region}.amazonaws.com/{quote(full_key)}"
        return f"{endpoint}/{self.bucket}/{quote(full_key)}"

    def url_warning(self) -> str | None:
        """Why the URLs this storage answers may not open, or None: plain object URLs (no
        presigning, no public base URL) of a bucket whose policy does not make it public."""
        if self.presign_seconds or self.public_base_url:
            return None
        try:
            status = self.client.get_bucket_policy_status(Bucket=self.bucket)
            public = bool(status["PolicyStatus"]["IsPublic"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchBucketPolicy":
                return f"could not read the policy status of bucket {self.bucket}: {exc}"
            public = False
        except BotoCoreError as exc:
            return f"could not read the policy status of bucket {self.bucket}: {exc}"
        if public:
            return None
        return (
            f"bucket {self.bucket} is not public and presigning is off: the video_url of a "
            "stored video will answer 403; set REELGATE_S3_PRESIGN=true or "
            "REELGATE_S3_PUBLIC_BASE_URL"
        )

    def open(self, key: str) -> bytes:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"]
            return body.read()
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not read s3://{self.bucket}/{key}: {exc}") from exc

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not delete s3://{self.bucket}/{key}: {exc}") from exc
