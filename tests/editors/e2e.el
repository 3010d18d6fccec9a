;;; e2e.el --- shared by the Emacs drivers: plan, observations, eglot start  -*- lexical-binding: t -*-

;;; Commentary:

;; A driver observes and never asserts: each step stores what it saw with `e2e-observe' (an error in a step
;; is stored under its name and the next step still runs); `e2e-finish' writes the observations as JSON to
;; plan.result and exits 0, and tests/editors/test_editors.py asserts on the JSON.

;;; Code:

(dolist (dir (directory-files "/usr/share/emacs/site-lisp/elpa/" t "^[a-z]"))
  (add-to-list 'load-path dir))            ; -Q skips the elpa-* autoloads; Emacs 28's own project.el is too old
(require 'eglot)
(require 'cl-lib)
(require 'subr-x)

(setq eglot-confirm-server-initiated-edits nil) ; otherwise applyEdit asks y-or-n-p on stdin
(setq eglot-sync-connect t)

(defvar e2e-server-question-answer "Apply"
  "What the user picks when the server asks (window/showMessageRequest: ChatLS asks before an edit in editors
that cannot preview it); eglot asks with `completing-read', which would read stdin in batch mode.")
(advice-add 'completing-read :around
            (lambda (orig prompt collection &rest args)
              (if (and (stringp prompt) (string-match-p "Server reports" prompt)
                       (member e2e-server-question-answer (all-completions "" collection)))
                  e2e-server-question-answer
                (apply orig prompt collection args))))

(defvar e2e-plan
  (json-parse-string (getenv "CHATLS_E2E_PLAN")
                     :object-type 'plist :array-type 'array :null-object nil :false-object :json-false))
(defvar e2e-obs nil "Observations, a plist written as JSON at the end.")
(defvar e2e-errors nil "Step name -> error message, a plist.")
(defvar e2e-server nil "The eglot server the driver started.")

(defun e2e-get (&rest keys)
  "Look up nested KEYS in the plan."
  (let ((value e2e-plan))
    (dolist (key keys value)
      (setq value (plist-get value key)))))

(defun e2e-observe (key value)
  (setq e2e-obs (plist-put e2e-obs key value)))

(defvar e2e-seconds nil "Step name -> seconds it took, a plist (shown when a test fails).")

(defmacro e2e-step (name &rest body)
  "Run BODY; record an error under NAME instead of stopping the script."
  (declare (indent 1))
  `(let ((started (float-time)))
     (condition-case err
         (progn ,@body)
       (error (setq e2e-errors (plist-put e2e-errors ,name (error-message-string err)))))
     (setq e2e-seconds (plist-put e2e-seconds ,name (- (float-time) started)))))

(defvar e2e--deadline (+ (float-time) (/ (plist-get e2e-plan :budgetMs) 1000.0))
  "Every wait ends by then, so a misbehaving server still leaves time to write the observations.")

(defun e2e-remaining (&optional seconds)
  "Seconds left for one wait: SECONDS (default plan.timeoutMs), capped by the overall budget."
  (max 0.1 (min (or seconds (/ (e2e-get :timeoutMs) 1000.0)) (- e2e--deadline (float-time)))))

(defun e2e-request (method params)
  "`jsonrpc-request' on the driver's server, within the budget."
  (jsonrpc-request e2e-server method params :timeout (e2e-remaining)))

(defun e2e-wait-for (predicate &optional seconds)
  "Let process output in until PREDICATE holds or SECONDS pass; return its last value."
  (let ((deadline (+ (float-time) (e2e-remaining seconds))) (value nil))
    (while (and (not (setq value (funcall predicate))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    value))

(defun e2e-buffer-text ()
  (buffer-substring-no-properties (point-min) (point-max)))

(defun e2e-region (range)
  "Buffer positions (BEG . END) of an LSP RANGE plist."
  (cons (eglot--lsp-position-to-point (plist-get range :start))
        (eglot--lsp-position-to-point (plist-get range :end))))

(defun e2e-command-of (action)
  "The command a code action runs (a CodeAction carries a Command; a bare Command is its own)."
  (if (stringp (plist-get action :command)) action (plist-get action :command)))

(defun e2e-actions (range &optional diagnostics)
  (e2e-request :textDocument/codeAction
               (list :textDocument (eglot--TextDocumentIdentifier)
                     :range range
                     :context (list :diagnostics (or diagnostics [])))))

(defun e2e-title-of (actions command-id)
  (cl-loop for action across actions
           when (equal (plist-get (e2e-command-of action) :command) command-id)
           return (plist-get action :title)))

(defun e2e-menu (range command-id)
  "Run M-x eglot-code-actions on RANGE, answering its menu with the action running COMMAND-ID.
Returns the titles the menu offered."
  (let* ((region (e2e-region range))
         (title (or (e2e-title-of (e2e-actions range) command-id) (error "%s not offered" command-id)))
         (offered nil)
         (last-nonmenu-event ?\r))        ; a key event: eglot then asks with completing-read, not a popup
    (cl-letf (((symbol-function 'completing-read)
               (lambda (prompt collection &rest _)
                 (if (string-match-p "Server reports" prompt) ; the server asking before the edit
                     e2e-server-question-answer
                   (setq offered (mapcar (lambda (c) (if (consp c) (car c) c)) collection))
                   title))))
      (eglot-code-actions (car region) (cdr region) nil t))
    (vconcat offered)))

(defun e2e-open (path)
  "Visit PATH and wait until eglot manages it."
  (find-file (expand-file-name path))
  (e2e-wait-for #'eglot-current-server 5)
  (current-buffer))

(defun e2e-start ()
  "Configure the server as docs/editors.md tells users, and start it the way M-x eglot does."
  (add-to-list 'eglot-server-programs
               `(python-mode . (,@(append (e2e-get :serverCmd) nil)
                                :initializationOptions ,(e2e-get :initOptions))))
  (find-file (expand-file-name (e2e-get :files :chat)))
  (setq e2e-server (apply #'eglot (eglot--guess-contact)))
  (e2e-observe :initialized (if (jsonrpc-running-p e2e-server) t :json-false))
  (e2e-observe :executeCommands
               (plist-get (plist-get (eglot--capabilities e2e-server) :executeCommandProvider) :commands)))

(defun e2e-settled-conversation (conversation-id)
  "Ask chatls/conversation until its last message is a finished assistant reply."
  (let (last)
    (e2e-wait-for
     (lambda ()
       (setq last (e2e-request :chatls/conversation (list :conversationId conversation-id)))
       (let* ((messages (plist-get last :messages))
              (reply (and (> (length messages) 0) (aref messages (1- (length messages))))))
         (or (and reply (equal (plist-get reply :role) "assistant")
                  (not (equal (plist-get reply :status) "pending")))
             (progn (accept-process-output nil 0.1) nil)))))
    last))

(defvar e2e-shown nil "Messages shown in the echo area, newest first (see `e2e-record-messages').")

(defun e2e--record-message (format-string &rest args)
  "Keep what `message' shows for FORMAT-STRING and ARGS (nil or \"\" clears the echo area: not kept)."
  (when format-string
    (let ((text (string-trim (apply #'format-message format-string args))))
      (unless (string-empty-p text) (push text e2e-shown)))))

(defun e2e-record-messages ()
  "Record every echo-area message: the helper's and eglot's (it echoes window/showMessage)."
  (advice-add 'message :before #'e2e--record-message))

(defun e2e-shown-since (count)
  "The messages shown since `e2e-shown' held COUNT of them, oldest first."
  (vconcat (reverse (butlast e2e-shown count))))

(defun e2e-observe-conversations ()
  (e2e-observe :conversations
               (list :result (e2e-request :chatls/conversations
                                          (list :workspaceUri (e2e-get :workspaceUri))))))

(defun e2e-finish ()
  (e2e-observe :errors (or e2e-errors (make-hash-table)))
  (e2e-observe :seconds (or e2e-seconds (make-hash-table)))
  (with-temp-file (e2e-get :result)
    (insert (json-serialize e2e-obs :null-object nil :false-object :json-false)))
  (dolist (buffer (buffer-list))
    (with-current-buffer buffer (set-buffer-modified-p nil)))
  (when e2e-server
    (ignore-errors (eglot-shutdown e2e-server)))
  (kill-emacs 0))

(provide 'e2e)
;;; e2e.el ends here
