// graphql-upload ships JavaScript with JSDoc types only: the parts the API uses, typed here.
declare module 'graphql-upload/graphqlUploadExpress.mjs' {
  import type { RequestHandler } from 'express';

  export interface UploadOptions {
    maxFieldSize?: number;
    maxFileSize?: number;
    maxFiles?: number;
  }
  export default function graphqlUploadExpress(options?: UploadOptions): RequestHandler;
}

declare module 'graphql-upload/GraphQLUpload.mjs' {
  import type { GraphQLScalarType } from 'graphql';

  const GraphQLUpload: GraphQLScalarType;
  export default GraphQLUpload;
}

declare module 'graphql-upload/processRequest.mjs' {
  import type { Readable } from 'node:stream';

  /** One file of a GraphQL multipart request (https://github.com/jaydenseric/graphql-multipart-request-spec). */
  export interface FileUpload {
    filename: string;
    mimetype: string;
    encoding: string;
    /** The file's content; errors (status 413) once it passes `maxFileSize`. */
    createReadStream(): Readable;
  }
}
