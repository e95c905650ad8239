//! An S3 server with Object Lock for tests: s3s-fs, plus the retention each PUT
//! asked for, reported by HEAD and enforced on DELETE.

use std::collections::HashMap;
use std::sync::Mutex;

use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};
use time::OffsetDateTime;

pub struct LockingFs {
    inner: s3s_fs::FileSystem,
    retention: Mutex<HashMap<(String, String), (ObjectLockMode, OffsetDateTime)>>,
}

impl LockingFs {
    pub fn new(inner: s3s_fs::FileSystem) -> Self {
        Self {
            inner,
            retention: Mutex::new(HashMap::new()),
        }
    }

    fn until(&self, bucket: &str, key: &str) -> Option<(ObjectLockMode, OffsetDateTime)> {
        self.retention
            .lock()
            .expect("lock")
            .get(&(bucket.to_owned(), key.to_owned()))
            .cloned()
    }
}

#[async_trait::async_trait]
impl S3 for LockingFs {
    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let key = (req.input.bucket.clone(), req.input.key.clone());
        if let Some((_, until)) = self.until(&key.0, &key.1)
            && until > OffsetDateTime::now_utc()
        {
            return Err(s3_error!(AccessDenied, "the object is locked"));
        }
        let lock = match (
            &req.input.object_lock_mode,
            &req.input.object_lock_retain_until_date,
        ) {
            (Some(mode), Some(until)) => {
                if req.input.checksum_sha256.is_none() && req.input.content_md5.is_none() {
                    return Err(s3_error!(
                        InvalidRequest,
                        "Content-MD5 or x-amz-checksum is required with Object Lock"
                    ));
                }
                Some((mode.clone(), OffsetDateTime::from(until.clone())))
            }
            (None, None) => None,
            _ => {
                return Err(s3_error!(
                    InvalidRequest,
                    "mode and retain-until-date go together"
                ));
            }
        };
        let out = self.inner.put_object(req).await?;
        if let Some(lock) = lock {
            self.retention.lock().expect("lock").insert(key, lock);
        }
        Ok(out)
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let lock = self.until(&req.input.bucket, &req.input.key);
        let mut out = self.inner.head_object(req).await?;
        if let Some((mode, until)) = lock {
            out.output.object_lock_mode = Some(mode);
            out.output.object_lock_retain_until_date = Some(until.into());
        }
        Ok(out)
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        if let Some((_, until)) = self.until(&req.input.bucket, &req.input.key)
            && until > OffsetDateTime::now_utc()
        {
            return Err(s3_error!(AccessDenied, "the object is locked"));
        }
        self.inner.delete_object(req).await
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let bucket = req.input.bucket.clone();
        if req.input.delete.objects.iter().any(|o| {
            self.until(&bucket, &o.key)
                .is_some_and(|(_, u)| u > OffsetDateTime::now_utc())
        }) {
            return Err(s3_error!(AccessDenied, "an object is locked"));
        }
        self.inner.delete_objects(req).await
    }

    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        self.inner.get_object(req).await
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.inner.list_objects(req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.inner.list_objects_v2(req).await
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.inner.head_bucket(req).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.inner.create_multipart_upload(req).await
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.inner.upload_part(req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        self.inner.complete_multipart_upload(req).await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.inner.abort_multipart_upload(req).await
    }
}
