"""The course around the notebooks: ``profiles`` (smoke / classroom / paper: what each notebook run uses),
``notebooks`` (execute the course with papermill and keep the committed notebooks clean, ``plm notebooks``) and
``demo`` (the README's main job on generated videos, ``plm demo``)."""
