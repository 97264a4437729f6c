"""The media layer, the bottom of the stack: evidence opened read-only and hashed, images and video decoded.

Nothing here knows about faces, models or reports. ``evidence`` opens and hashes a file without
modifying it, ``formats`` recognises media by content, ``images`` and ``video`` decode, and
``sampling`` picks a video's frames. ``fileio`` holds the atomic writes and checked reads every
layer above uses.
"""
